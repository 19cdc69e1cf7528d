# Studies of what the trained operators learned (config section studies; README, Studies).
# Each study is a target of its own (e.g. `snakemake symmetry --cores 2 --configfile workflow/presets/symmetry.yaml`;
# the target first: --configfile reads every later word as a file); none is part of rule all.


include: "studies_inputs.smk"
include: "study_receptive_field.smk"
include: "study_symmetry.smk"
include: "study_green.smk"
