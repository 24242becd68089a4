"""KPIs by region and period (SPEC §11): one query layer for the dashboard, the API and reports."""
