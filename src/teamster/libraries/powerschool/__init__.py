"""PowerSchool: the SIS (over SQL through an SSH tunnel, or SFTP drops) and Enrollment."""
