"""PowerSchool AutoComm: extract files rendered from the warehouse, pushed over SFTP."""
