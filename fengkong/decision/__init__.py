"""The decision engine: strategy documents, the safe expression language, rule sets, decision
tables, scorecards, segmentation trees, champion/challenger, decision records, simulation."""
