package dev.hogbeam.pipeline.files;

import dev.hogbeam.pipeline.ExitCodes;
import dev.hogbeam.pipeline.MigrationCommand;
import dev.hogbeam.pipeline.amplitude.AmplitudeMigration;
import dev.hogbeam.pipeline.mixpanel.MixpanelMigration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code hogbeam files --format=posthog|amplitude|mixpanel --inputFiles=PATTERN}: event files on
 * any Beam file system, in one of several shapes. Each format is the command of the source that
 * reads it, so the mapping, options, checkpoints and account are that source's:
 *
 * <ul>
 *   <li>{@code posthog}: {@link PostHogFilesMigration} (flags {@code --format} included);
 *   <li>{@code amplitude}: {@code hogbeam amplitude --inputFiles=...} (the same flags, the same
 *       checkpoints: {@code --format} is taken off);
 *   <li>{@code mixpanel}: {@code hogbeam mixpanel --inputFiles=...} (likewise).
 * </ul>
 *
 * A format plugs in with one line in {@link #FORMATS}.
 */
public final class FilesCommand {
  private FilesCommand() {}

  /** A format's command, and whether {@code --format} is passed on to it. */
  private record Format(Supplier<MigrationCommand<?>> command, boolean takesFormatFlag) {}

  private static final Map<String, Format> FORMATS = new LinkedHashMap<>();

  static {
    FORMATS.put("posthog", new Format(PostHogFilesMigration::command, true));
    FORMATS.put("amplitude", new Format(AmplitudeMigration::command, false));
    FORMATS.put("mixpanel", new Format(MixpanelMigration::command, false));
  }

  /** {@code java -cp ... dev.hogbeam.pipeline.files.FilesCommand --format=... --flags...}. */
  public static void main(String[] args) {
    System.exit(run(args, MigrationCommand.Environment.system()));
  }

  /** Runs the command of the format {@code --format} names. */
  public static int run(String[] args, MigrationCommand.Environment env) {
    String format = null;
    List<String> rest = new ArrayList<>();
    boolean help = false;
    for (String a : args) {
      if (a.startsWith("--format=")) {
        format = a.substring("--format=".length()).strip().toLowerCase(Locale.ROOT);
      } else {
        rest.add(a);
        help |= a.equals("--help") || a.equals("-h");
      }
    }
    String formats = String.join(", ", FORMATS.keySet());
    if (format == null) {
      if (help) {
        env.out()
            .println(
                "Usage: java -jar hogbeam.jar files --format=FORMAT --inputFiles=PATTERN"
                    + " --option=value ...\n\nFORMAT: "
                    + formats
                    + ". The options of a format: files --format=FORMAT --help");
        return ExitCodes.OK;
      }
      env.err().println("hogbeam files: --format is required: " + formats);
      return ExitCodes.USAGE;
    }
    Format f = FORMATS.get(format);
    if (f == null) {
      env.err()
          .println(
              "hogbeam files: --format must be one of " + formats + ", but was '" + format + "'");
      return ExitCodes.USAGE;
    }
    if (!help && rest.stream().noneMatch(a -> a.startsWith("--inputFiles="))) {
      env.err().println("hogbeam files: --inputFiles=PATTERN is required (the files to read)");
      return ExitCodes.USAGE;
    }
    if (f.takesFormatFlag()) {
      rest.add(0, "--format=" + format);
    }
    return f.command().get().run(rest.toArray(String[]::new), env);
  }
}
