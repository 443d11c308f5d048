// Loaded first in <body>, before anything is drawn, so GOV.UK Frontend's JavaScript-only styles apply without a
// flash. A file, not an inline script: the Content-Security-Policy allows scripts from this site only.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
