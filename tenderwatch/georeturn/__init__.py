"""Georeturn: how much of what the country pays to an organisation comes back as orders.

``awards`` (every known award, from TED, organisations' lists and ILOs' follow-up), ``award_list``
(the import of a published list), ``rates`` (ECB euro reference rates), ``balance`` (the return
coefficient and its classes, per organisation, country and period). The page is
``tenderwatch.web.views_georeturn``; the command ``tenderwatch georeturn``.
"""
