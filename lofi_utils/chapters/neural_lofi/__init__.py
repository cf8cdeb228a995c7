"""Chapter package: see profile.py for its sizes."""
