"""``kg review``: a local page that turns machine drafts into reviewed annotations.

:mod:`kg.review.session` holds the drafts, the page's data and the validated, atomic save;
:mod:`kg.review.app` the WSGI app and its waitress server; ``static/`` the page itself.
"""
