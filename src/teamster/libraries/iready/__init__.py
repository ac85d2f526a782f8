"""i-Ready: diagnostic results files from Curriculum Associates' SFTP, one user per region."""
