"""The native records engine: records of the bases PyAirtable keeps itself, with Airtable's
semantics (storage, listing with filters and sorts, writes, computed fields, links)."""
