# Receptive-field study: test error of CNN operators against depth and receptive field (studies.receptive_field).
