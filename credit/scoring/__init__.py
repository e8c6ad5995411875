"""Credit scorecard: features, training (numpy/scikit-learn) and the runtime scorer (plain Python)."""
