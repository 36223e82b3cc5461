"""Device health: analyzers that watch trackers for removal, power cuts, silence and GPS
trouble, and the installation check."""
