"""Trademarks: the list of marks (:mod:`ipcockpit.marks.listing`); the model is ipcockpit.model.trademarks."""
