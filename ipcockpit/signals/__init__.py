"""Abnormal-filing signals (issue 19): each with its evidence; a signal is not a verdict."""
