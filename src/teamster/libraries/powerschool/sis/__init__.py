"""PowerSchool SIS tables, declared once and extracted by either path."""
