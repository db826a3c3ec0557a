"""The national company directory: capability records (``profiles``), reviewed by ILOs, published at
/directory and in a printed brochure (``brochure``), and partners for a call (``partners``)."""
