"""Data protection: everything held about one child (a subject access export, as PDF, JSON and a ZIP with the
documents), and the end of retention (closed records past the authority's retention period, listed for review
and erased, leaving a tombstone and an audit trail that still verifies). See docs/privacy.md."""
