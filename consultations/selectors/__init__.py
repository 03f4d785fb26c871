"""Read-only queries the views need, one module per area (house style: no grab-bag)."""
