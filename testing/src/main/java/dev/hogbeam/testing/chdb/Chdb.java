package dev.hogbeam.testing.chdb;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * libchdb's C API ({@code chdb.h} of chDB 26.7) through JNA's direct mapping (static native methods
 * bound to the library at run time): plain Java 17, no JNI code of our own.
 *
 * <p>Only what the HTTP front end needs: connections, plain, streaming and parameterised queries,
 * statement classification, result accessors and the signal-handler switch. Every native result is
 * wrapped in a {@link Result} that must be closed.
 */
final class Chdb {
  /** Values of {@code chdb_query_class}. */
  static final int CLASS_READ_ONLY = 0;

  static final int CLASS_UNKNOWN = 4;

  /**
   * The C functions; {@code size_t} is {@code long} (x86-64 Linux), pointers are {@link Pointer}.
   */
  private static final class Api {
    private Api() {}

    static native Pointer chdb_connect(int argc, Pointer argv);

    static native void chdb_close_conn(Pointer connection);

    static native Pointer chdb_query_n(
        Pointer conn, Pointer query, long queryLength, Pointer format, long formatLength);

    static native Pointer chdb_query_with_params_n(
        Pointer conn,
        Pointer query,
        long queryLength,
        Pointer format,
        long formatLength,
        Pointer names,
        Pointer nameLengths,
        Pointer values,
        Pointer valueLengths,
        long count);

    static native Pointer chdb_stream_query_n(
        Pointer conn, Pointer query, long queryLength, Pointer format, long formatLength);

    static native Pointer chdb_stream_query_with_params_n(
        Pointer conn,
        Pointer query,
        long queryLength,
        Pointer format,
        long formatLength,
        Pointer names,
        Pointer nameLengths,
        Pointer values,
        Pointer valueLengths,
        long count);

    static native Pointer chdb_stream_fetch_result(Pointer conn, Pointer result);

    static native void chdb_stream_cancel_query(Pointer conn, Pointer result);

    static native void chdb_destroy_query_result(Pointer result);

    static native int chdb_classify_query_n(
        Pointer conn,
        Pointer query,
        long queryLength,
        Pointer format,
        long formatLength,
        Pointer analysis);

    static native Pointer chdb_result_buffer(Pointer result);

    static native long chdb_result_length(Pointer result);

    static native long chdb_result_rows_read(Pointer result);

    static native long chdb_result_bytes_read(Pointer result);

    static native long chdb_result_storage_rows_read(Pointer result);

    static native long chdb_result_storage_bytes_read(Pointer result);

    static native long chdb_result_rows_written(Pointer result);

    static native long chdb_result_bytes_written(Pointer result);

    static native Pointer chdb_result_error(Pointer result);

    static native void chdb_set_signal_handlers_enabled(int enabled);
  }

  private static boolean loaded;

  /** Loads {@code library} and binds the C API to it (once per process). */
  Chdb(Path library) {
    synchronized (Chdb.class) {
      if (!loaded) {
        Native.register(Api.class, NativeLibrary.getInstance(library.toAbsolutePath().toString()));
        loaded = true;
      }
    }
  }

  /** Thrown when a native call itself fails (as opposed to a query error, which is data). */
  static final class NativeCallException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    NativeCallException(String message) {
      super(message);
    }
  }

  /**
   * Ends the process at once with libc's {@code _exit}: no C++ static destructors, which crash when
   * they run while engine threads are still alive (as they are at a normal JVM exit).
   */
  static void exitImmediately(int status) {
    try {
      Libc.exitImmediately(status);
    } catch (Throwable t) {
      Runtime.getRuntime().halt(status);
    }
  }

  void setSignalHandlersEnabled(boolean enabled) {
    Api.chdb_set_signal_handlers_enabled(enabled ? 1 : 0);
  }

  /** A connection: {@code chdb_connection*} as returned by {@code chdb_connect}. */
  final class Connection implements AutoCloseable {
    private final Pointer pointer;
    private final Pointer handle;
    private boolean closed;

    private Connection(Pointer pointer) {
      this.pointer = pointer;
      this.handle = pointer.getPointer(0);
    }

    /** Runs a statement to completion; the whole output is in the returned result. */
    Result query(NativeBytes sql, String format, Map<String, byte[]> params) {
      try (NativeBytes fmt = NativeBytes.of(format.getBytes(StandardCharsets.UTF_8))) {
        if (params.isEmpty()) {
          return new Result(
              Api.chdb_query_n(handle, sql.address(), sql.size(), fmt.address(), fmt.size()));
        }
        try (NativeParams p = new NativeParams(params)) {
          return new Result(
              Api.chdb_query_with_params_n(
                  handle,
                  sql.address(),
                  sql.size(),
                  fmt.address(),
                  fmt.size(),
                  p.names,
                  p.nameLengths,
                  p.values,
                  p.valueLengths,
                  p.count));
        }
      }
    }

    /** Starts a streaming SELECT; check {@link Result#error()} before fetching. */
    Result streamQuery(NativeBytes sql, String format, Map<String, byte[]> params) {
      try (NativeBytes fmt = NativeBytes.of(format.getBytes(StandardCharsets.UTF_8))) {
        if (params.isEmpty()) {
          return new Result(
              Api.chdb_stream_query_n(
                  handle, sql.address(), sql.size(), fmt.address(), fmt.size()));
        }
        try (NativeParams p = new NativeParams(params)) {
          return new Result(
              Api.chdb_stream_query_with_params_n(
                  handle,
                  sql.address(),
                  sql.size(),
                  fmt.address(),
                  fmt.size(),
                  p.names,
                  p.nameLengths,
                  p.values,
                  p.valueLengths,
                  p.count));
        }
      }
    }

    /** The next chunk of a streaming query; an empty chunk without error ends the stream. */
    Result fetch(Result stream) {
      return new Result(Api.chdb_stream_fetch_result(handle, stream.pointer));
    }

    void cancel(Result stream) {
      Api.chdb_stream_cancel_query(handle, stream.pointer);
    }

    /**
     * Parses {@code sql} with the engine's parser without running it; returns {statement count,
     * query class} ({@code chdb_classify_query_n}).
     */
    int[] classify(NativeBytes sql) {
      try (NativeBytes analysis = NativeBytes.allocate(16)) {
        Pointer a = analysis.address();
        a.setInt(0, 16);
        int state = Api.chdb_classify_query_n(handle, sql.address(), sql.size(), null, 0L, a);
        if (state != 0) {
          throw new NativeCallException("chdb_classify_query_n returned an error state");
        }
        return new int[] {a.getInt(4), a.getInt(12)};
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        Api.chdb_close_conn(pointer);
      }
    }
  }

  /** Opens a connection with {@code args} (argv without the program name). */
  Connection connect(List<String> args) {
    List<String> argv = new ArrayList<>();
    argv.add("clickhouse");
    argv.addAll(args);
    List<NativeBytes> strings = new ArrayList<>();
    try (NativeBytes array = NativeBytes.allocate((long) Native.POINTER_SIZE * argv.size())) {
      for (int i = 0; i < argv.size(); i++) {
        NativeBytes s = NativeBytes.cString(argv.get(i));
        strings.add(s);
        array.address().setPointer((long) i * Native.POINTER_SIZE, s.address());
      }
      Pointer pointer = Api.chdb_connect(argv.size(), array.address());
      if (pointer == null) {
        throw new NativeCallException("chdb_connect failed for arguments " + args);
      }
      return new Connection(pointer);
    } finally {
      strings.forEach(NativeBytes::close);
    }
  }

  /**
   * {@code const char* const*} name/value arrays with their lengths, for the _with_params calls.
   */
  private static final class NativeParams implements AutoCloseable {
    final long count;
    final Pointer names;
    final Pointer nameLengths;
    final Pointer values;
    final Pointer valueLengths;
    private final List<NativeBytes> owned = new ArrayList<>();

    NativeParams(Map<String, byte[]> params) {
      count = params.size();
      names = own(NativeBytes.allocate(count * Native.POINTER_SIZE)).address();
      nameLengths = own(NativeBytes.allocate(count * Long.BYTES)).address();
      values = own(NativeBytes.allocate(count * Native.POINTER_SIZE)).address();
      valueLengths = own(NativeBytes.allocate(count * Long.BYTES)).address();
      long i = 0;
      for (Map.Entry<String, byte[]> e : params.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        names.setPointer(i * Native.POINTER_SIZE, own(NativeBytes.of(name)).address());
        nameLengths.setLong(i * Long.BYTES, name.length);
        byte[] value = e.getValue();
        values.setPointer(i * Native.POINTER_SIZE, own(NativeBytes.of(value)).address());
        valueLengths.setLong(i * Long.BYTES, value.length);
        i++;
      }
    }

    private NativeBytes own(NativeBytes bytes) {
      owned.add(bytes);
      return bytes;
    }

    @Override
    public void close() {
      owned.forEach(NativeBytes::close);
    }
  }

  /** A {@code chdb_result*}: the output buffer and the figures of one query or one chunk. */
  final class Result implements AutoCloseable {
    private final Pointer pointer;
    private boolean closed;

    private Result(Pointer pointer) {
      if (pointer == null) {
        throw new NativeCallException("libchdb returned a null result");
      }
      this.pointer = pointer;
    }

    /** The engine's error text ({@code Code: N. DB::Exception: ...}), or null. */
    String error() {
      Pointer e = Api.chdb_result_error(pointer);
      return e == null ? null : e.getString(0, "UTF-8");
    }

    /** The output bytes; valid until {@link #close()}. */
    NativeBytes data() {
      long n = Api.chdb_result_length(pointer);
      if (n == 0) {
        return NativeBytes.EMPTY;
      }
      return NativeBytes.view(Api.chdb_result_buffer(pointer), n);
    }

    /**
     * Rows in the result (chdb calls this rows_read; ClickHouse's summary calls it result_rows).
     */
    long resultRows() {
      return Api.chdb_result_rows_read(pointer);
    }

    /** Bytes of the result in the engine's in-memory representation (result_bytes). */
    long resultBytes() {
      return Api.chdb_result_bytes_read(pointer);
    }

    /** Rows read from storage: ClickHouse's read_rows. */
    long readRows() {
      return Api.chdb_result_storage_rows_read(pointer);
    }

    /** Bytes read from storage: ClickHouse's read_bytes. */
    long readBytes() {
      return Api.chdb_result_storage_bytes_read(pointer);
    }

    long writtenRows() {
      return Api.chdb_result_rows_written(pointer);
    }

    long writtenBytes() {
      return Api.chdb_result_bytes_written(pointer);
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        Api.chdb_destroy_query_result(pointer);
      }
    }
  }
}
