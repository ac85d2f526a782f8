"""ADP: payroll general-ledger files (one per pay date) and the Workforce Now roster, over SFTP."""
