package io.weightcast.cli;

import picocli.CommandLine;

/** Reports the version from the jar manifest, falling back to "dev" when run from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Main.class.getPackage().getImplementationVersion();
        return new String[] {"weightcast " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
    }
}
