"""Ingestion: turn a folder of deliverables (PDF, Markdown, text) into the search indexes."""
