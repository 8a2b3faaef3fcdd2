"""Everything about asking for access and deciding."""
