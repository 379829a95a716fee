package dev.hogbeam.runners;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/** The flags of {@code selftest} ({@code --help=SelfTestOptions}). */
public interface SelfTestOptions extends RunnerOptions {

  @Description("Number of elements to generate (0, 1, ... elements-1).")
  @Default.Long(1_000_000L)
  long getElements();

  void setElements(long value);

  @Description("Number of keys: element i goes to the group i % keys.")
  @Default.Integer(10)
  int getKeys();

  void setKeys(int value);
}
