"""PowerSchool Enrollment: published actions and their submission records (REST)."""
