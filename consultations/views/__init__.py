"""HTTP views, one module per area. Views parse input, call forms and services, render."""
