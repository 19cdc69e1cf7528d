from nnphys.cli import main

raise SystemExit(main())
