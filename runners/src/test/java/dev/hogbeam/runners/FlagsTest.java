package dev.hogbeam.runners;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FlagsTest {

  @Test
  void readsTheLastValueAndBareBooleans() {
    Flags flags = Flags.of("--a=1", "--b", "--a=2", "--c=x=y", "--empty=");
    assertEquals(Optional.of("2"), flags.value("a"));
    assertEquals(Optional.of("true"), flags.value("b"));
    assertEquals(Optional.of("x=y"), flags.value("c"));
    assertEquals(Optional.of(""), flags.value("empty"));
    assertEquals(Optional.empty(), flags.value("d"));
    assertFalse(flags.has("ab"), "a prefix of a name is not the name");
  }

  @Test
  void withDefaultAppendsOnlyMissingFlags() {
    Flags flags = Flags.of("--a=1").withDefault("a", 9).withDefault("b", 2);
    assertArrayEquals(new String[] {"--a=1", "--b=2"}, flags.toArray());
  }

  @Test
  void positiveIntNamesTheFlag() {
    assertEquals(Optional.of(3), Flags.of("--n=3").positiveInt("n"));
    assertEquals(Optional.empty(), Flags.of().positiveInt("n"));
    UsageException zero =
        assertThrows(UsageException.class, () -> Flags.of("--n=0").positiveInt("n"));
    assertEquals("--n must be a positive integer, but was '0'", zero.getMessage());
    UsageException text =
        assertThrows(UsageException.class, () -> Flags.of("--n=x").positiveInt("n"));
    assertEquals("--n must be a positive integer, but was 'x'", text.getMessage());
  }

  @Test
  void helpInBothForms() {
    assertTrue(Flags.of("--help").helpRequested());
    assertTrue(Flags.of("--x=1", "--help=DataflowPipelineOptions").helpRequested());
    assertFalse(Flags.of("--helpful=1").helpRequested());
  }

  @Test
  void toStringShowsNoValues() {
    assertEquals("Flags(1 arguments)", Flags.of("--token=secret").toString());
  }
}
