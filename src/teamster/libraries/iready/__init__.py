"""i-Ready: diagnostic results files from Curriculum Associates' SFTP, one user per region,
schools placed through each region's crosswalk (config/iready.yaml)."""
