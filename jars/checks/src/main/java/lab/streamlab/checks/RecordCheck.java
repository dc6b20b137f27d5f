package lab.streamlab.checks;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One record's validation with one JSON parse: the envelope (is the value one JSON object?) and the
 * workload's fields (present, of their JSON type, within their range), giving the first failing
 * reason or none, and each field's value. The rules are the ones sql/shared/flink_envelope.sql and the
 * parse steps spelled in SQL before (docs/design/parse-once.md); streamlab/oracles/common.py states
 * them again in Python, independently, and the validation tests hold all three to the same verdict.
 *
 * <p>Rules are written "name:kind, ...", checked in that order: every required field's presence
 * first (a JSON null is missing), then the JSON types (strings and timestamps, then numbers), then
 * the ranges (numbers and counts, then timestamps). Kinds:
 * <ul>
 *   <li>{@code string}: a JSON string; {@code string?}: its value when it is one, else none, never a reason;
 *   <li>{@code timestamp} / {@code timestamp_ms}: a string that reads as yyyy-MM-dd HH:mm:ss (/.SSS)
 *       and prints back the same (2025-02-30 is refused, not moved to 02-28);
 *   <li>{@code number}: a JSON number below 1e9 in absolute value, read as a double; {@code double}: any
 *       JSON number a double holds (1e400 does not);
 *   <li>{@code count}: a JSON number that rounds (half up, 10 places, as DECIMAL(20,10)) to a whole
 *       number from 0 to 999,999,999.
 * </ul>
 */
public final class RecordCheck implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Kind { STRING, OPTIONAL_STRING, TIMESTAMP, TIMESTAMP_MS, NUMBER, DOUBLE, COUNT }

    /** One field to read: its JSON name and what it must hold. */
    public static final class Rule implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String field;
        public final Kind kind;

        Rule(String field, Kind kind) {
            this.field = field;
            this.kind = kind;
        }

        boolean required() {
            return kind != Kind.OPTIONAL_STRING;
        }

        boolean textual() {
            return kind == Kind.STRING || kind == Kind.TIMESTAMP || kind == Kind.TIMESTAMP_MS;
        }

        boolean numeric() {
            return kind == Kind.NUMBER || kind == Kind.DOUBLE || kind == Kind.COUNT;
        }
    }

    /**
     * The verdict: the value as text (Java's UTF-8 decoding, a U+FFFD for each invalid sequence), the
     * reason (null when the record is valid) and one value per rule, null where the field does not
     * pass its own check: a String, a Double (number) or a Long (count).
     */
    public static final class Verdict {
        public final String text;
        public final String reason;
        public final Object[] values;

        Verdict(String text, String reason, Object[] values) {
            this.text = text;
            this.reason = reason;
            this.values = values;
        }
    }

    // Jackson's defaults are what Flink's JSON functions parsed with: no comments, no single quotes,
    // no NaN, no leading zeros, no raw control characters; duplicate keys allowed (the last one wins
    // here, as it did there); what follows the first value is not read
    private static final JsonFactory JSON = new JsonFactory();
    // an escaped \uD800-\uDBFF without its low half, or a \uDC00-\uDFFF without its high half, outside
    // another backslash's escape: Jackson would decode it into a lone half, which the oracle and Spark refuse
    private static final Pattern LONE_SURROGATE = Pattern.compile(
            "(?<!\\\\)(?:\\\\\\\\)*\\\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                    + "|(?<!\\\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\\\)(?:\\\\\\\\)*\\\\u[dD][c-fC-F][0-9a-fA-F]{2}");
    private static final int ABSENT = 0, NULL = 1, STRING = 2, NUMBER = 3, OTHER = 4;
    private static final BigDecimal MAX_COUNT = BigDecimal.valueOf(999_999_999);
    private static final double MAX_NUMBER = 1e9;

    private final Rule[] rules;
    private final int maxChars;

    private RecordCheck(Rule[] rules, int maxChars) {
        this.rules = rules;
        this.maxChars = maxChars;
    }

    /** "category:string, user_id:string?, ts:timestamp_ms, value:number, result:double, rent_cnt:count" */
    public static RecordCheck of(String rules, int maxChars) {
        List<Rule> parsed = new ArrayList<>();
        for (String part : rules.split(",")) {
            String[] nameAndKind = part.trim().split(":");
            if (nameAndKind.length != 2 || nameAndKind[0].isBlank()) {
                throw new IllegalArgumentException("a rule is name:kind, not '" + part.trim() + "'");
            }
            parsed.add(new Rule(nameAndKind[0].trim(), kind(nameAndKind[1].trim())));
        }
        return new RecordCheck(parsed.toArray(new Rule[0]), maxChars);
    }

    private static Kind kind(String name) {
        switch (name) {
            case "string": return Kind.STRING;
            case "string?": return Kind.OPTIONAL_STRING;
            case "timestamp": return Kind.TIMESTAMP;
            case "timestamp_ms": return Kind.TIMESTAMP_MS;
            case "number": return Kind.NUMBER;
            case "double": return Kind.DOUBLE;
            case "count": return Kind.COUNT;
            default: throw new IllegalArgumentException(
                    "unknown kind '" + name + "' (string, string?, timestamp, timestamp_ms, number, double, count)");
        }
    }

    /**
     * The check alone, for tests (tests/test_record_check.py) and for trying a record by hand: one base64
     * value per line of stdin ("-" a tombstone), one line out per value: its reason, or "-" when valid.
     *   java -cp streamlab-checks.jar lab.streamlab.checks.RecordCheck "RULES" MAX_CHARS
     */
    public static void main(String[] args) throws IOException {
        RecordCheck check = of(args[0], Integer.parseInt(args[1]));
        BufferedReader lines = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            String reason = check.check(line.equals("-") ? null : Base64.getDecoder().decode(line.trim())).reason;
            out.println(reason == null ? "-" : reason);
        }
        out.flush();
    }

    public List<Rule> rules() {
        return List.of(rules);
    }

    /** The verdict on one Kafka value (null for a tombstone). */
    public Verdict check(byte[] value) {
        Object[] values = new Object[rules.length];
        if (value == null || value.length == 0) {
            return new Verdict(value == null ? null : "", "empty value", values);
        }
        String text = new String(value, StandardCharsets.UTF_8);
        return new Verdict(text, reason(text, values), values);
    }

    private String reason(String text, Object[] values) {
        if (text.indexOf('\uFFFD') >= 0) {
            return "not UTF-8"; // a replaced byte and a genuine U+FFFD look the same in the text: both are refused
        }
        if (text.length() > maxChars && text.codePointCount(0, text.length()) > maxChars) {
            return "too large"; // code points, as CHAR_LENGTH counts
        }
        int[] types = new int[rules.length];
        String[] texts = new String[rules.length];
        if (!framedAsObject(text) || !readFields(text, types, texts)) {
            return "not a JSON object";
        }
        return fieldReason(types, texts, values);
    }

    /** Opens with '{' and ends with '}' (white space around), holds no lone surrogate escape. */
    private static boolean framedAsObject(String text) {
        int first = 0, last = text.length() - 1;
        while (first <= last && isSpace(text.charAt(first))) {
            first++;
        }
        while (last >= first && isSpace(text.charAt(last))) {
            last--;
        }
        if (first >= last || text.charAt(first) != '{' || text.charAt(last) != '}') {
            return false;
        }
        return text.indexOf("\\u") < 0 || !LONE_SURROGATE.matcher(text).find();
    }

    private static boolean isSpace(char character) {
        return character == ' ' || character == '\t' || character == '\r' || character == '\n';
    }

    /** The one parse: the first JSON value, an object; each rule's field's JSON type and text. */
    private boolean readFields(String text, int[] types, String[] texts) {
        try (JsonParser parser = JSON.createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
                if (token != JsonToken.FIELD_NAME) {
                    return false;
                }
                int index = ruleIndex(parser.currentName());
                JsonToken value = parser.nextToken();
                if (value == null) {
                    return false;
                }
                if (index >= 0) {
                    types[index] = jsonType(value);
                    texts[index] = types[index] == STRING || types[index] == NUMBER ? parser.getText() : null;
                }
                if (value.isStructStart()) {
                    parser.skipChildren(); // still read to its end: a syntax error in it refuses the record
                }
            }
            return true;
        } catch (IOException | RuntimeException malformed) {
            return false; // an unclosed object ends in an IOException; limits (depth, number length) too
        }
    }

    private int ruleIndex(String name) {
        for (int index = 0; index < rules.length; index++) {
            if (rules[index].field.equals(name)) {
                return index;
            }
        }
        return -1;
    }

    private static int jsonType(JsonToken token) {
        switch (token) {
            case VALUE_NULL: return NULL;
            case VALUE_STRING: return STRING;
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT: return NUMBER;
            default: return OTHER;
        }
    }

    /** Fills each field's own value, and gives the first failing reason in the documented order. */
    private String fieldReason(int[] types, String[] texts, Object[] values) {
        String reason = null;
        for (int index = 0; index < rules.length; index++) {
            values[index] = value(rules[index], types[index], texts[index]);
        }
        for (int index = 0; index < rules.length && reason == null; index++) {
            if (rules[index].required() && (types[index] == ABSENT || types[index] == NULL)) {
                reason = "missing field: " + rules[index].field;
            }
        }
        for (int index = 0; index < rules.length && reason == null; index++) {
            if (rules[index].textual() && types[index] != STRING) {
                reason = "not a string: " + rules[index].field;
            }
        }
        for (int index = 0; index < rules.length && reason == null; index++) {
            if (rules[index].numeric() && types[index] != NUMBER) {
                reason = "not a number: " + rules[index].field;
            }
        }
        for (int index = 0; index < rules.length && reason == null; index++) {
            if (rules[index].numeric() && values[index] == null) {
                reason = (rules[index].kind == Kind.COUNT ? "bad count: " : "bad number: ") + rules[index].field;
            }
        }
        for (int index = 0; index < rules.length && reason == null; index++) {
            if (rules[index].kind == Kind.TIMESTAMP || rules[index].kind == Kind.TIMESTAMP_MS) {
                reason = values[index] == null ? "bad timestamp: " + rules[index].field : null;
            }
        }
        return reason;
    }

    private static Object value(Rule rule, int type, String text) {
        switch (rule.kind) {
            case STRING:
            case OPTIONAL_STRING: return type == STRING ? text : null;
            case TIMESTAMP: return type == STRING && roundTrips(text, false) ? text : null;
            case TIMESTAMP_MS: return type == STRING && roundTrips(text, true) ? text : null;
            case NUMBER: return type == NUMBER ? number(text, MAX_NUMBER) : null;
            case DOUBLE: return type == NUMBER ? number(text, Double.POSITIVE_INFINITY) : null;
            default: return type == NUMBER ? count(text) : null;
        }
    }

    /** yyyy-MM-dd HH:mm:ss(.SSS) with ASCII digits, naming a real moment of year 1 or later. */
    static boolean roundTrips(String text, boolean millis) {
        int length = millis ? 23 : 19;
        if (text.length() != length) {
            return false;
        }
        for (int at = 0; at < length; at++) {
            char expected = at == 4 || at == 7 ? '-' : at == 10 ? ' ' : at == 13 || at == 16 ? ':' : at == 19 ? '.' : '0';
            char found = text.charAt(at);
            if (expected == '0' ? found < '0' || found > '9' : found != expected) {
                return false;
            }
        }
        try {
            int year = Integer.parseInt(text, 0, 4, 10);
            return year >= 1 && LocalDateTime.of(year, Integer.parseInt(text, 5, 7, 10), Integer.parseInt(text, 8, 10, 10),
                    Integer.parseInt(text, 11, 13, 10), Integer.parseInt(text, 14, 16, 10),
                    Integer.parseInt(text, 17, 19, 10)) != null;
        } catch (DateTimeException invalid) {
            return false;
        }
    }

    private static Double number(String text, double bound) {
        double parsed = Double.parseDouble(text); // a JSON number literal always parses; 1e400 is Infinity
        return Math.abs(parsed) < bound ? parsed : null; // Infinity fails both bounds
    }

    private static Long count(String text) {
        BigDecimal exact = new BigDecimal(text);
        int integerDigits = exact.precision() - exact.scale();
        if (exact.signum() == 0 || integerDigits < -11) {
            return 0L; // below 1e-11 in size: rounds to zero at 10 places (checked first: 1e-999999 is cheap this way)
        }
        if (integerDigits > 10) {
            return null; // 10 digits before the point are what DECIMAL(20,10) holds
        }
        BigDecimal rounded = exact.setScale(10, RoundingMode.HALF_UP);
        if (rounded.signum() < 0 || rounded.compareTo(MAX_COUNT) > 0
                || rounded.stripTrailingZeros().scale() > 0) {
            return null;
        }
        return rounded.longValueExact();
    }
}
