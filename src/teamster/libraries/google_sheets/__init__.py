"""Google Sheets: declared tabs read through the CSV export, typed by their declaration."""
