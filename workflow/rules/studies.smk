# Studies of what the trained operators learned (config section studies; README, Studies).
# Each study is a target of its own (e.g. `snakemake --cores 2 symmetry`); none is part of rule all.


include: "studies_inputs.smk"
include: "study_receptive_field.smk"
include: "study_symmetry.smk"
include: "study_green.smk"
