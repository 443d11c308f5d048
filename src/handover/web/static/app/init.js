// Starts GOV.UK Frontend's and MOJ Frontend's components on the page (kept in a file for the
// Content-Security-Policy: no inline script).
import { initAll } from "../handover/govuk-frontend.min.js";
import { initAll as initMoj } from "../handover/moj-frontend.min.js";

initAll();
initMoj();
