package dev.hogbeam.pipeline.amplitude;

import dev.hogbeam.amplitude.AmplitudeIO;
import dev.hogbeam.event.DeadLetterCoder;
import dev.hogbeam.files.JsonLineFiles;
import dev.hogbeam.files.SourceLine;
import dev.hogbeam.pipeline.engine.SourceRead;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;

/**
 * A migration's Amplitude input read a second time (by a later stage, a repair): its lines, and no
 * read dead letters, since the migration itself recorded what could not be read.
 */
public final class ReadAgain extends PTransform<PBegin, SourceRead<SourceLine>> {
  private final String pattern;
  private final long maxLineBytes;

  /** The files of {@code pattern}, lines over {@code maxLineBytes} skipped as the migration did. */
  public ReadAgain(String pattern, long maxLineBytes) {
    this.pattern = pattern;
    this.maxLineBytes = maxLineBytes;
  }

  @Override
  public SourceRead<SourceLine> expand(PBegin input) {
    JsonLineFiles.LineRead lines =
        input.apply(
            "Read again", AmplitudeIO.readFiles().from(pattern).withMaxLineBytes(maxLineBytes));
    return SourceRead.of(
        lines.getLines(), input.apply("No read dead letters", Create.empty(DeadLetterCoder.of())));
  }
}
