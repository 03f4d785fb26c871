"""ModelForms: field errors for staff. Rules come from the models and `rules.py`."""
