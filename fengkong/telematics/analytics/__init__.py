"""GPS analytics: geofences and risk areas, stops, trips and places, borrower-status signals,
the vehicle risk score, trajectories and navigation links."""
