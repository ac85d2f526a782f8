"""dbt: project preparation, the shared translator and asset builders."""
