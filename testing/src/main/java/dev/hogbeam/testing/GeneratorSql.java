package dev.hogbeam.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The {@code INSERT ... SELECT ... FROM numbers(N)} behind {@link PostHogDataGenerator#generate}:
 * every column a deterministic function of the row number {@code n} and the seed. Values that need
 * escaping are built here in Java and quoted once; numbers are substituted directly.
 */
final class GeneratorSql {
  private GeneratorSql() {}

  private static final List<String> CUSTOM_EVENTS =
      List.of(
          "signed_up",
          "purchase",
          "Checkout Completed",
          "video played",
          "file_uploaded",
          "добавлено_в_корзину",
          "注册完成");
  private static final List<String> SERVER_LIBS =
      List.of(
          "posthog-python",
          "posthog-node",
          "posthog-ruby",
          "posthog-go",
          "posthog-ios",
          "posthog-android",
          "posthog-java",
          "posthog-php");
  private static final List<String> PATHS =
      List.of(
          "/",
          "/pricing",
          "/docs/getting-started",
          "/blog/über-uns",
          "/signup",
          "/app/dashboard",
          "/settings/billing",
          "/product/café");
  private static final List<String> BROWSERS =
      List.of("Chrome", "Firefox", "Safari", "Microsoft Edge", "Mobile Safari");
  private static final List<String> OPERATING_SYSTEMS =
      List.of("Mac OS X", "Windows", "Linux", "iOS", "Android");
  private static final List<String> DEVICES =
      List.of("Desktop", "Desktop", "Desktop", "Mobile", "Tablet");
  private static final List<String> CITIES =
      List.of("São Paulo", "Zürich", "東京", "Kraków", "München", "Reykjavík", "Москва", "New York");
  private static final List<String> NAMES =
      List.of(
          "Zoë Smith",
          "José Álvarez",
          "Łukasz Nowak",
          "Søren Kierkegaard",
          "李雷",
          "Ana María",
          "Ольга Иванова",
          "Chloé Dubois");
  private static final List<String> COMPANIES =
      List.of(
          "Acme GmbH",
          "Société Générale de Tests",
          "Müller & Söhne",
          "Ωmega Labs",
          "株式会社テスト",
          "Nørd AS",
          "Café Ñandú",
          "Big Co");

  /** Page titles, including characters JSON must escape. */
  private static final List<String> TITLES =
      List.of(
          "Home",
          "Pricing – \"Pro\" plan, 50% off",
          "Docs \\ Getting started",
          "Über uns 🚀",
          "Sign up",
          "Dashboard",
          "Billing",
          "Café crème");

  /** Autocapture element chains as posthog-js serialises them. */
  private static final List<String> CHAINS =
      List.of(
          "button.btn.btn-primary:attr__class=\"btn btn-primary\"attr__data-attr=\"signup-button\""
              + "attr__type=\"submit\"nth-child=\"2\"nth-of-type=\"1\"text=\"Sign up\";"
              + "form.signup-form:attr__class=\"signup-form\"nth-child=\"1\"nth-of-type=\"1\";"
              + "div.container:attr__class=\"container\"nth-child=\"1\"nth-of-type=\"1\";"
              + "body:nth-child=\"2\"nth-of-type=\"1\"",
          "a.nav-link:attr__class=\"nav-link\"attr__href=\"/pricing\"href=\"/pricing\""
              + "nth-child=\"3\"nth-of-type=\"3\"text=\"Pricing\";li:nth-child=\"3\"nth-of-type=\"3\";"
              + "ul.navbar-nav:attr__class=\"navbar-nav\"nth-child=\"1\"nth-of-type=\"1\";"
              + "nav.navbar:attr__class=\"navbar\"nth-child=\"1\"nth-of-type=\"1\";"
              + "body:nth-child=\"2\"nth-of-type=\"1\"",
          "a:attr__href=\"/blog/über-uns\"href=\"/blog/über-uns\"nth-child=\"1\"nth-of-type=\"1\""
              + "text=\"Über uns\";footer:nth-child=\"4\"nth-of-type=\"1\";body:nth-child=\"2\"nth-of-type=\"1\"",
          "span:nth-child=\"1\"nth-of-type=\"1\"text=\"Añadir al carrito 🛒\";"
              + "button.add-to-cart:attr__aria-label=\"Add to cart\"attr__class=\"add-to-cart\""
              + "nth-child=\"2\"nth-of-type=\"1\";div.product-card:attr__class=\"product-card\""
              + "attr__id=\"product-42\"attr_id=\"product-42\"nth-child=\"5\"nth-of-type=\"5\";"
              + "main:nth-child=\"2\"nth-of-type=\"1\";body:nth-child=\"2\"nth-of-type=\"1\"");

  private static final String LOREM =
      "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt. ";

  /** The INSERT of all events ({@code duplicates=false}) or of the duplicate copies. */
  static String insert(
      PostHogDataGenerator target,
      PostHogDataGenerator.Spec spec,
      boolean duplicates,
      long duplicatesPerMillion) {
    long total = spec.totalEvents();
    long perTeam = spec.days() * spec.eventsPerTeamDay();
    long persons = spec.distinctIdsPerTeam();
    long companies = Math.max(1, persons / 10);
    Map<String, String> v = new java.util.HashMap<>();
    v.put("S", "toUInt64(" + Long.toUnsignedString(spec.seed()) + ")");
    v.put("N", Long.toString(total));
    v.put(
        "TEAMS",
        spec.teamIds().stream().map(t -> "toInt64(" + t + ")").collect(Collectors.joining(", ")));
    v.put("PER_TEAM", Long.toString(perTeam));
    v.put("E", Long.toString(spec.eventsPerTeamDay()));
    v.put("D", Integer.toString(spec.days()));
    v.put("DAY0", Long.toString(spec.startDay().toEpochDay()));
    v.put("P", Long.toString(persons));
    v.put("G", Long.toString(companies));
    v.put("SHARE", Long.toString(Math.round(spec.sharedTimestampFraction() * 1_000_000)));
    v.put("UNBACKFILLED", Long.toString(Math.round(spec.unbackfilledFraction() * 1_000_000)));
    v.put("PROP", Integer.toString(spec.propertyBytes()));
    v.put("LOREM_REPEAT", Integer.toString(spec.propertyBytes() / LOREM.length() + 2));
    v.put("LOREM", quote(LOREM));
    // The person's padding: hex of hashes of the person (not compressible to nothing, the same on
    // each of the person's events), enough to reach personPropertyBytes.
    v.put(
        "PERSON_PAD",
        spec.personPropertyBytes() == 0
            ? "''"
            : "concat(',\"about\":\"', arrayStringConcat(arrayMap(pad_i -> hex(cityHash64(${S}, team_id, p,"
                + " pad_i)), range("
                + (spec.personPropertyBytes() / 16 + 1)
                + "))), '\"')");
    v.put(
        "ANONYMOUS_PERSON",
        spec.personPropertyBytes() == 0
            ? "'{}'"
            : "concat('{\"anonymous\":true', ${PERSON_PAD}, '}')");
    v.put("DUP", duplicates ? "1" : "0");
    v.put(
        "WHERE",
        duplicates
            ? "WHERE cityHash64("
                + v.get("S")
                + ", number, 'dup') % 1000000 < "
                + duplicatesPerMillion
            : "");
    v.put("CUSTOM", array(CUSTOM_EVENTS, false));
    v.put("SERVER_LIBS", array(SERVER_LIBS, false));
    v.put("PATHS", array(PATHS, false));
    v.put("BROWSERS", array(BROWSERS, false));
    v.put("OSES", array(OPERATING_SYSTEMS, false));
    v.put("DEVICES", array(DEVICES, false));
    v.put("CITIES", array(CITIES, false));
    v.put("NAMES", array(NAMES, false));
    v.put("COMPANIES", array(COMPANIES, false));
    v.put("TITLES", array(TITLES, true));
    v.put("CHAINS", array(CHAINS, false));

    List<String> columns = target.layout().insertColumns();
    List<String> select = new ArrayList<>();
    for (String column : columns) {
      select.add(COLUMN_EXPRESSIONS.get(column) + " AS " + column);
    }
    String sql =
        "INSERT INTO "
            + target.qualifiedTable()
            + " ("
            + String.join(", ", columns)
            + ")\n"
            + "SELECT "
            + String.join(",\n  ", select)
            + "\nFROM (\n"
            + ROWS
            + "\n)";
    return substitute(sql, v);
  }

  static String countDuplicates(PostHogDataGenerator.Spec spec, long duplicatesPerMillion) {
    return "SELECT count() FROM numbers("
        + spec.totalEvents()
        + ") WHERE cityHash64(toUInt64("
        + Long.toUnsignedString(spec.seed())
        + "), number, 'dup') % 1000000 < "
        + duplicatesPerMillion;
  }

  /** Per-row values, one level below the final column list (aliases refer to earlier ones). */
  private static final String ROWS =
      String.join(
          "\n",
          "SELECT",
          "  number AS n,",
          "  [${TEAMS}][intDiv(n, ${PER_TEAM}) + 1] AS team_id,",
          "  intDiv(n, ${E}) % ${D} AS day_index,",
          "  cityHash64(${S}, n, 'person') % ${P} AS p,",
          "  p % 4 != 0 AS identified,",
          "  concat('user-', toString(team_id), '-', toString(p)) AS user_id,",
          "  UUIDNumToString(toFixedString(concat(reinterpretAsString(cityHash64(${S}, team_id, p, 'anon1')),"
              + " reinterpretAsString(cityHash64(${S}, team_id, p, 'anon2'))), 16)) AS anon_id,",
          "  cityHash64(${S}, n, 'kind') % 1000 AS kind,",
          "  multiIf(kind < 380, '$pageview', kind < 600, '$autocapture', kind < 620, '$rageclick',",
          "    kind < 680, if(identified, '$identify', '$pageview'), kind < 690, if(identified, '$create_alias', '$pageview'),",
          "    kind < 710, '$groupidentify', kind < 740, '$pageleave', ${CUSTOM}[cityHash64(${S}, n, 'custom') % 7 + 1]) AS event_name,",
          "  multiIf(NOT identified, anon_id, event_name IN ('$identify', '$create_alias'), user_id,",
          "    cityHash64(${S}, n, 'as_anon') % 5 = 0, anon_id, user_id) AS distinct_value,",
          "  cityHash64(${S}, intDiv(n, 4), 'share') % 1000000 < ${SHARE} AS shared_ts,",
          "  cityHash64(${S}, 'ts', if(shared_ts, intDiv(n, 4), n), shared_ts) % 86400000000 AS ts_offset,",
          "  toInt64((${DAY0} + day_index) * 86400000000 + ts_offset) AS ts_micros,",
          "  toInt64(cityHash64(${S}, n, 'lag') % 3000000) AS lag_micros,",
          "  leftPad(lower(hex(intDiv(ts_micros, 1000))), 12, '0') AS ms_hex,",
          "  leftPad(lower(hex(cityHash64(${S}, n, 'uuid1'))), 16, '0') AS r1,",
          "  leftPad(lower(hex(cityHash64(${S}, n, 'uuid2'))), 16, '0') AS r2,",
          "  toUUID(concat(substring(ms_hex, 1, 8), '-', substring(ms_hex, 9, 4), '-7', substring(r1, 1, 3), '-',",
          "    ['8', '9', 'a', 'b'][cityHash64(${S}, n, 'variant') % 4 + 1], substring(r1, 4, 3), '-', substring(r2, 1, 12))) AS event_uuid,",
          "  cityHash64(${S}, team_id, p, 'company') % ${G} AS company_index,",
          "  concat('company-', toString(company_index)) AS company_key,",
          "  ${COMPANIES}[company_index % 8 + 1] AS company_name,",
          "  cityHash64(${S}, team_id, company_index, 'employees') % 5000 + 1 AS employees,",
          "  event_name = '$groupidentify' OR (kind >= 740 AND cityHash64(${S}, n, 'grp') % 2 = 0) AS has_group,",
          "  ${NAMES}[p % 8 + 1] AS person_name,",
          "  ['free', 'pro', 'enterprise'][p % 3 + 1] AS plan,",
          "  ${PATHS}[cityHash64(${S}, n, 'path') % 8 + 1] AS path,",
          "  if(event_name IN ('$pageview', '$autocapture', '$rageclick', '$pageleave'), 'web',",
          "    ${SERVER_LIBS}[cityHash64(${S}, n, 'lib') % 8 + 1]) AS lib,",
          "  concat(toString(cityHash64(${S}, n, 'v1') % 4 + 1), '.', toString(cityHash64(${S}, n, 'v2') % 150), '.',"
              + " toString(cityHash64(${S}, n, 'v3') % 10)) AS lib_version,",
          "  UUIDNumToString(toFixedString(concat(reinterpretAsString(cityHash64(${S}, team_id, p, day_index, 's1')),"
              + " reinterpretAsString(cityHash64(${S}, team_id, p, day_index, 's2'))), 16)) AS session_id,",
          "  UUIDNumToString(toFixedString(concat(reinterpretAsString(cityHash64(${S}, team_id, p, day_index, 'w1')),"
              + " reinterpretAsString(cityHash64(${S}, team_id, p, day_index, 'w2'))), 16)) AS window_id,",
          "  cityHash64(${S}, n, 'amount') % 100000 AS cents,",
          "  concat('{\"$lib\":\"', lib, '\",\"$lib_version\":\"', lib_version, '\",\"$session_id\":\"', session_id,",
          "    '\",\"$window_id\":\"', window_id, '\",\"$current_url\":\"https://app.example.com', path, '\",\"$pathname\":\"', path,",
          "    '\",\"$host\":\"app.example.com\",\"$browser\":\"', ${BROWSERS}[cityHash64(${S}, team_id, p, 'browser') % 5 + 1],",
          "    '\",\"$os\":\"', ${OSES}[cityHash64(${S}, team_id, p, 'os') % 5 + 1],",
          "    '\",\"$device_type\":\"', ${DEVICES}[cityHash64(${S}, team_id, p, 'device') % 5 + 1],",
          "    '\",\"$screen_width\":', toString([1280, 1440, 1920, 390, 820][cityHash64(${S}, team_id, p, 'screen') % 5 + 1]),",
          "    ',\"$geoip_city_name\":\"', ${CITIES}[cityHash64(${S}, team_id, p, 'city') % 8 + 1],",
          "    '\",\"$insert_id\":\"', substring(r2, 5, 12), '\"',",
          "    multiIf(",
          "      event_name = '$identify', concat(',\"$set\":{\"email\":\"', user_id, '@example.com\",\"name\":\"', person_name,",
          "        '\",\"plan\":\"', plan, '\"},\"$set_once\":{\"initial_pathname\":\"', path, '\"},\"$anon_distinct_id\":\"', anon_id, '\"'),",
          "      event_name = '$create_alias', concat(',\"alias\":\"', anon_id, '\"'),",
          "      event_name = '$groupidentify', concat(',\"$group_type\":\"company\",\"$group_key\":\"', company_key,",
          "        '\",\"$group_set\":{\"name\":\"', company_name, '\",\"employees\":', toString(employees), '}'),",
          "      event_name IN ('$autocapture', '$rageclick'), ',\"$event_type\":\"click\",\"$ce_version\":1',",
          "      event_name = '$pageview', concat(',\"title\":\"', ${TITLES}[cityHash64(${S}, n, 'title') % 8 + 1], '\"'),",
          "      has_group, concat(',\"$groups\":{\"company\":\"', company_key, '\"},\"$group_0\":\"', company_key,",
          "        '\",\"amount\":', toString(intDiv(cents, 100)), '.', leftPad(toString(cents % 100), 2, '0'), ',\"currency\":\"EUR\"'),",
          "      '')) AS base_properties,",
          "  greatest(0, toInt64(${PROP}) - toInt64(length(base_properties)) - 12) AS pad_length,",
          "  concat(base_properties, if(pad_length > 0, concat(',\"notes\":\"',",
          "    substring(repeat(${LOREM}, ${LOREM_REPEAT}), 1 + n % 61, pad_length), '\"'), ''), '}') AS event_properties,",
          "  cityHash64(${S}, n, 'backfill') % 1000000 < ${UNBACKFILLED} AS unbackfilled,",
          "  has_group AND NOT unbackfilled AS group_filled",
          "FROM numbers(${N})",
          "${WHERE}");

  /** The final expression of every column a generator writes. */
  private static final Map<String, String> COLUMN_EXPRESSIONS =
      Map.ofEntries(
          Map.entry("uuid", "event_uuid"),
          Map.entry("event", "event_name"),
          Map.entry("properties", "event_properties"),
          Map.entry("timestamp", "fromUnixTimestamp64Micro(ts_micros, 'UTC')"),
          Map.entry("team_id", "team_id"),
          Map.entry("distinct_id", "distinct_value"),
          Map.entry(
              "elements_chain",
              "if(event_name IN ('$autocapture', '$rageclick'), ${CHAINS}[cityHash64(${S}, n, 'chain') % 4 + 1], '')"),
          Map.entry("created_at", "fromUnixTimestamp64Micro(ts_micros + lag_micros, 'UTC')"),
          Map.entry(
              "person_id",
              "if(unbackfilled, toUUID('00000000-0000-0000-0000-000000000000'), toUUID(UUIDNumToString(toFixedString("
                  + "concat(reinterpretAsString(cityHash64(${S}, team_id, p, 'pid1')),"
                  + " reinterpretAsString(cityHash64(${S}, team_id, p, 'pid2'))), 16))))"),
          Map.entry(
              "person_created_at",
              "if(unbackfilled, toDateTime64(0, 3), toDateTime64(toInt64(${DAY0} * 86400)"
                  + " - toInt64(cityHash64(${S}, team_id, p, 'pcreated') % 7776000), 3))"),
          Map.entry(
              "person_properties",
              "if(unbackfilled, '', if(identified, concat('{\"email\":\"', user_id, '@example.com\",\"name\":\"',"
                  + " person_name, '\",\"plan\":\"', plan, '\"', ${PERSON_PAD}, '}'), ${ANONYMOUS_PERSON}))"),
          Map.entry(
              "group0_properties",
              "if(group_filled, concat('{\"name\":\"', company_name, '\",\"employees\":', toString(employees), '}'), '')"),
          Map.entry("group1_properties", "''"),
          Map.entry("group2_properties", "''"),
          Map.entry("group3_properties", "''"),
          Map.entry("group4_properties", "''"),
          Map.entry(
              "group0_created_at",
              "if(group_filled, toDateTime64(toInt64(${DAY0} * 86400)"
                  + " - toInt64(cityHash64(${S}, team_id, company_index, 'gcreated') % 31536000), 3), toDateTime64(0, 3))"),
          Map.entry("group1_created_at", "toDateTime64(0, 3)"),
          Map.entry("group2_created_at", "toDateTime64(0, 3)"),
          Map.entry("group3_created_at", "toDateTime64(0, 3)"),
          Map.entry("group4_created_at", "toDateTime64(0, 3)"),
          Map.entry(
              "person_mode",
              "if(NOT identified AND cityHash64(${S}, n, 'mode') % 10 = 0, 'propertyless', 'full')"),
          Map.entry(
              "_timestamp",
              "toDateTime(intDiv(ts_micros + lag_micros, 1000000) + ${DUP} * 3600, 'UTC')"),
          Map.entry("_offset", "n + ${DUP} * ${N}"),
          Map.entry(
              "inserted_at", "fromUnixTimestamp64Micro(ts_micros + lag_micros + 1000000, 'UTC')"));

  private static String substitute(String template, Map<String, String> values) {
    String sql = template;
    // Several passes: column expressions refer to ${S}, ${CHAINS} etc. too, some through others.
    for (int pass = 0; pass < 4; pass++) {
      for (Map.Entry<String, String> e : values.entrySet()) {
        sql = sql.replace("${" + e.getKey() + "}", e.getValue());
      }
    }
    if (sql.contains("${")) {
      throw new IllegalStateException(
          "unsubstituted placeholder in generator SQL: "
              + sql.substring(sql.indexOf("${"), Math.min(sql.length(), sql.indexOf("${") + 30)));
    }
    return sql;
  }

  /** A ClickHouse array literal of strings; with {@code json}, each value JSON-escaped first. */
  private static String array(List<String> values, boolean json) {
    return values.stream()
        .map(s -> quote(json ? jsonEscape(s) : s))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private static String jsonEscape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }
}
