"""Reports people print or file: the cockpit's periodic evaluation report (:mod:`ipcockpit.reports.cockpit_pdf`)
and the FTO screening report (:mod:`ipcockpit.reports.fto`, HTML and PDF). They present the dicts the domain
returns (:meth:`ipcockpit.app.Cockpit.cockpit`, :meth:`ipcockpit.app.Cockpit.fto`); every text comes from the
catalogues (:mod:`ipcockpit.i18n`), Chinese by default, English on request."""
