// The Sentry browser SDK from npm as one classic script for SentryTunnelBrowserTest. The package
// ships modules only; the build (exec-maven-plugin in pom.xml) bundles this file with esbuild
// into target/sentry/sentry.bundle.js, and a test page loads it and finds the SDK on window.
import * as Sentry from "@sentry/browser";

window.Sentry = Sentry;
