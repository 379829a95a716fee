package dev.hogbeam.testing.chdb;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * libchdb's C API ({@code chdb.h} of chDB 26.7) through the Foreign Function & Memory API.
 *
 * <p>Only what the HTTP front end needs: connections, plain, streaming and parameterised
 * queries, statement classification, result accessors and the signal-handler switch. Every
 * native result is wrapped in a {@link Result} that must be closed.
 */
final class Chdb {
  /** Values of {@code chdb_query_class}. */
  static final int CLASS_READ_ONLY = 0;

  static final int CLASS_UNKNOWN = 4;

  private static final Linker LINKER = Linker.nativeLinker();

  private final MethodHandle connect;
  private final MethodHandle closeConn;
  private final MethodHandle queryN;
  private final MethodHandle queryWithParamsN;
  private final MethodHandle streamQueryN;
  private final MethodHandle streamQueryWithParamsN;
  private final MethodHandle streamFetchResult;
  private final MethodHandle streamCancelQuery;
  private final MethodHandle destroyQueryResult;
  private final MethodHandle classifyQueryN;
  private final MethodHandle resultBuffer;
  private final MethodHandle resultLength;
  private final MethodHandle resultRowsRead;
  private final MethodHandle resultBytesRead;
  private final MethodHandle resultStorageRowsRead;
  private final MethodHandle resultStorageBytesRead;
  private final MethodHandle resultRowsWritten;
  private final MethodHandle resultBytesWritten;
  private final MethodHandle resultError;
  private final MethodHandle setSignalHandlersEnabled;

  Chdb(Path library) {
    SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
    connect = handle(lib, "chdb_connect", FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
    closeConn = handle(lib, "chdb_close_conn", FunctionDescriptor.ofVoid(ADDRESS));
    FunctionDescriptor query = FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG);
    FunctionDescriptor queryWithParams =
        FunctionDescriptor.of(
            ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
    queryN = handle(lib, "chdb_query_n", query);
    queryWithParamsN = handle(lib, "chdb_query_with_params_n", queryWithParams);
    streamQueryN = handle(lib, "chdb_stream_query_n", query);
    streamQueryWithParamsN = handle(lib, "chdb_stream_query_with_params_n", queryWithParams);
    streamFetchResult = handle(lib, "chdb_stream_fetch_result", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    streamCancelQuery = handle(lib, "chdb_stream_cancel_query", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    destroyQueryResult = handle(lib, "chdb_destroy_query_result", FunctionDescriptor.ofVoid(ADDRESS));
    classifyQueryN =
        handle(lib, "chdb_classify_query_n",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
    resultBuffer = handle(lib, "chdb_result_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
    resultLength = handle(lib, "chdb_result_length", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultRowsRead = handle(lib, "chdb_result_rows_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultBytesRead = handle(lib, "chdb_result_bytes_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultStorageRowsRead = handle(lib, "chdb_result_storage_rows_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultStorageBytesRead = handle(lib, "chdb_result_storage_bytes_read", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultRowsWritten = handle(lib, "chdb_result_rows_written", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultBytesWritten = handle(lib, "chdb_result_bytes_written", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
    resultError = handle(lib, "chdb_result_error", FunctionDescriptor.of(ADDRESS, ADDRESS));
    setSignalHandlersEnabled = handle(lib, "chdb_set_signal_handlers_enabled", FunctionDescriptor.ofVoid(JAVA_INT));
  }

  private static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor descriptor) {
    MemorySegment symbol =
        lib.find(name).orElseThrow(() -> new IllegalStateException("libchdb does not export " + name));
    return LINKER.downcallHandle(symbol, descriptor);
  }

  /** Thrown when a native call itself fails (as opposed to a query error, which is data). */
  static final class NativeCallException extends RuntimeException {
    NativeCallException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static RuntimeException rethrow(String call, Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new NativeCallException(call + " failed", t);
  }

  /**
   * Ends the process at once with libc's {@code _exit}: no C++ static destructors, which crash
   * when they run while engine threads are still alive (as they are at a normal JVM exit).
   */
  static void exitImmediately(int status) {
    try {
      LINKER.downcallHandle(
              LINKER.defaultLookup().find("_exit").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_INT))
          .invoke(status);
    } catch (Throwable t) {
      Runtime.getRuntime().halt(status);
    }
  }

  void setSignalHandlersEnabled(boolean enabled) {
    try {
      setSignalHandlersEnabled.invoke(enabled ? 1 : 0);
    } catch (Throwable t) {
      throw rethrow("chdb_set_signal_handlers_enabled", t);
    }
  }

  /** A connection: {@code chdb_connection*} as returned by {@code chdb_connect}. */
  final class Connection implements AutoCloseable {
    private final MemorySegment pointer;
    private final MemorySegment handle;
    private boolean closed;

    private Connection(MemorySegment pointer) {
      this.pointer = pointer;
      this.handle = pointer.reinterpret(ADDRESS.byteSize()).get(ADDRESS, 0);
    }

    /** Runs a statement to completion; the whole output is in the returned result. */
    Result query(MemorySegment sql, String format, Map<String, byte[]> params) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment fmt = arena.allocateFrom(format);
        long fmtLen = fmt.byteSize() - 1;
        MemorySegment r;
        if (params.isEmpty()) {
          r = (MemorySegment) queryN.invoke(handle, sql, sql.byteSize(), fmt, fmtLen);
        } else {
          NativeParams p = new NativeParams(arena, params);
          r = (MemorySegment) queryWithParamsN.invoke(
              handle, sql, sql.byteSize(), fmt, fmtLen, p.names, p.nameLengths, p.values, p.valueLengths, (long) p.count);
        }
        return new Result(r);
      } catch (Throwable t) {
        throw rethrow("chdb_query_n", t);
      }
    }

    /** Starts a streaming SELECT; check {@link Result#error()} before fetching. */
    Result streamQuery(MemorySegment sql, String format, Map<String, byte[]> params) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment fmt = arena.allocateFrom(format);
        long fmtLen = fmt.byteSize() - 1;
        MemorySegment r;
        if (params.isEmpty()) {
          r = (MemorySegment) streamQueryN.invoke(handle, sql, sql.byteSize(), fmt, fmtLen);
        } else {
          NativeParams p = new NativeParams(arena, params);
          r = (MemorySegment) streamQueryWithParamsN.invoke(
              handle, sql, sql.byteSize(), fmt, fmtLen, p.names, p.nameLengths, p.values, p.valueLengths, (long) p.count);
        }
        return new Result(r);
      } catch (Throwable t) {
        throw rethrow("chdb_stream_query_n", t);
      }
    }

    /** The next chunk of a streaming query; an empty chunk without error ends the stream. */
    Result fetch(Result stream) {
      try {
        return new Result((MemorySegment) streamFetchResult.invoke(handle, stream.pointer));
      } catch (Throwable t) {
        throw rethrow("chdb_stream_fetch_result", t);
      }
    }

    void cancel(Result stream) {
      try {
        streamCancelQuery.invoke(handle, stream.pointer);
      } catch (Throwable t) {
        throw rethrow("chdb_stream_cancel_query", t);
      }
    }

    /**
     * Parses {@code sql} with the engine's parser without running it; returns {statement count,
     * query class} ({@code chdb_classify_query_n}).
     */
    int[] classify(MemorySegment sql) {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment analysis = arena.allocate(16);
        analysis.set(JAVA_INT, 0, 16);
        int state = (int) classifyQueryN.invoke(handle, sql, sql.byteSize(), MemorySegment.NULL, 0L, analysis);
        if (state != 0) {
          throw new NativeCallException("chdb_classify_query_n returned an error state", null);
        }
        return new int[] {analysis.get(JAVA_INT, 4), analysis.get(JAVA_INT, 12)};
      } catch (Throwable t) {
        throw rethrow("chdb_classify_query_n", t);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          closeConn.invoke(pointer);
        } catch (Throwable t) {
          throw rethrow("chdb_close_conn", t);
        }
      }
    }
  }

  /** Opens a connection with {@code args} (argv without the program name). */
  Connection connect(List<String> args) {
    try (Arena arena = Arena.ofConfined()) {
      List<String> argv = new ArrayList<>();
      argv.add("clickhouse");
      argv.addAll(args);
      MemorySegment array = arena.allocate(ADDRESS, argv.size());
      for (int i = 0; i < argv.size(); i++) {
        array.setAtIndex(ADDRESS, i, arena.allocateFrom(argv.get(i)));
      }
      MemorySegment pointer = (MemorySegment) connect.invoke(argv.size(), array);
      if (pointer.equals(MemorySegment.NULL)) {
        throw new NativeCallException("chdb_connect failed for arguments " + args, null);
      }
      return new Connection(pointer);
    } catch (Throwable t) {
      throw rethrow("chdb_connect", t);
    }
  }

  /** {@code const char* const*} name/value arrays with their lengths, for the _with_params calls. */
  private static final class NativeParams {
    final int count;
    final MemorySegment names;
    final MemorySegment nameLengths;
    final MemorySegment values;
    final MemorySegment valueLengths;

    NativeParams(Arena arena, Map<String, byte[]> params) {
      count = params.size();
      names = arena.allocate(ADDRESS, count);
      nameLengths = arena.allocate(JAVA_LONG, count);
      values = arena.allocate(ADDRESS, count);
      valueLengths = arena.allocate(JAVA_LONG, count);
      int i = 0;
      for (Map.Entry<String, byte[]> e : params.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        names.setAtIndex(ADDRESS, i, arena.allocateFrom(JAVA_BYTE, name));
        nameLengths.setAtIndex(JAVA_LONG, i, name.length);
        byte[] value = e.getValue();
        values.setAtIndex(ADDRESS, i, value.length == 0 ? arena.allocate(1) : arena.allocateFrom(JAVA_BYTE, value));
        valueLengths.setAtIndex(JAVA_LONG, i, value.length);
        i++;
      }
    }
  }

  /** A {@code chdb_result*}: the output buffer and the figures of one query or one chunk. */
  final class Result implements AutoCloseable {
    private final MemorySegment pointer;
    private boolean closed;

    private Result(MemorySegment pointer) {
      if (pointer.equals(MemorySegment.NULL)) {
        throw new NativeCallException("libchdb returned a null result", null);
      }
      this.pointer = pointer;
    }

    /** The engine's error text ({@code Code: N. DB::Exception: ...}), or null. */
    String error() {
      try {
        MemorySegment e = (MemorySegment) resultError.invoke(pointer);
        return e.equals(MemorySegment.NULL) ? null : e.reinterpret(Integer.MAX_VALUE).getString(0);
      } catch (Throwable t) {
        throw rethrow("chdb_result_error", t);
      }
    }

    /** The output bytes; valid until {@link #close()}. */
    MemorySegment data() {
      try {
        long n = (long) resultLength.invoke(pointer);
        if (n == 0) {
          return MemorySegment.NULL;
        }
        return ((MemorySegment) resultBuffer.invoke(pointer)).reinterpret(n);
      } catch (Throwable t) {
        throw rethrow("chdb_result_buffer", t);
      }
    }

    /** Rows in the result (chdb calls this rows_read; ClickHouse's summary calls it result_rows). */
    long resultRows() {
      return call(resultRowsRead);
    }

    /** Bytes of the result in the engine's in-memory representation (result_bytes). */
    long resultBytes() {
      return call(resultBytesRead);
    }

    /** Rows read from storage: ClickHouse's read_rows. */
    long readRows() {
      return call(resultStorageRowsRead);
    }

    /** Bytes read from storage: ClickHouse's read_bytes. */
    long readBytes() {
      return call(resultStorageBytesRead);
    }

    long writtenRows() {
      return call(resultRowsWritten);
    }

    long writtenBytes() {
      return call(resultBytesWritten);
    }

    private long call(MethodHandle accessor) {
      try {
        return (long) accessor.invoke(pointer);
      } catch (Throwable t) {
        throw rethrow("chdb_result accessor", t);
      }
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        try {
          destroyQueryResult.invoke(pointer);
        } catch (Throwable t) {
          throw rethrow("chdb_destroy_query_result", t);
        }
      }
    }
  }
}
