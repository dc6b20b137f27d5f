package lab.streamlab.checks;

import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.factories.DeserializationFormatFactory;
import org.apache.flink.table.factories.DynamicTableFactory;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

/**
 * The Flink format {@code 'format' = 'streamlab-json'}: each Kafka value parsed once, in the source,
 * by {@link RecordCheck}. Where Flink's own {@code json} format drops or fails on a bad record, this one
 * keeps it and says why: every row carries the value as text ({@code payload}), the first failing
 * reason ({@code reject_reason}, NULL when valid) and one column per rule, in the rules' order, with
 * that field's value when it passes its own check (STRING for text and timestamps, DOUBLE for a number,
 * BIGINT for a count), NULL otherwise:
 *
 * <pre>
 *   payload STRING, reject_reason STRING, category STRING, ts_text STRING, ...
 *   'format' = 'streamlab-json', 'streamlab-json.fields' = 'category:string, ts:timestamp_ms, ...'
 * </pre>
 */
public final class CheckedJsonFormatFactory implements DeserializationFormatFactory {
    public static final String IDENTIFIER = "streamlab-json";
    public static final ConfigOption<String> FIELDS = ConfigOptions.key("fields").stringType().noDefaultValue()
            .withDescription("the rules, 'name:kind, ...' (see RecordCheck)");
    public static final ConfigOption<Integer> MAX_VALUE_CHARS = ConfigOptions.key("max-value-chars").intType()
            .defaultValue(1_000_000).withDescription("a longer value is 'too large'");
    static final String PAYLOAD = "payload", REASON = "reject_reason";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return Set.of(FIELDS);
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return Set.of(MAX_VALUE_CHARS);
    }

    @Override
    public DecodingFormat<DeserializationSchema<RowData>> createDecodingFormat(
            DynamicTableFactory.Context context, ReadableConfig options) {
        FactoryUtil.validateFactoryOptions(this, options);
        String rules = options.get(FIELDS);
        int maxChars = options.get(MAX_VALUE_CHARS);
        RecordCheck.of(rules, maxChars); // a malformed rule fails the DDL, not the running job
        return new DecodingFormat<>() {
            @Override
            public DeserializationSchema<RowData> createRuntimeDecoder(
                    DynamicTableSource.Context source, DataType physicalType) {
                checkColumns(physicalType, RecordCheck.of(rules, maxChars));
                return new Decoder(rules, maxChars, source.createTypeInformation(physicalType));
            }

            @Override
            public ChangelogMode getChangelogMode() {
                return ChangelogMode.insertOnly();
            }
        };
    }

    /**
     * Checks the table's physical columns against the rules: payload STRING, reject_reason STRING, then
     * one column per rule in the rules' order (any names); anything else fails the DDL, naming what fits.
     */
    static void checkColumns(DataType physicalType, RecordCheck check) {
        List<String> names = DataType.getFieldNames(physicalType);
        List<DataType> types = DataType.getFieldDataTypes(physicalType);
        List<RecordCheck.Rule> rules = check.rules();
        StringBuilder expected = new StringBuilder("payload STRING, reject_reason STRING");
        boolean fits = names.size() == rules.size() + 2;
        for (int column = 0; column < names.size() && column < rules.size() + 2; column++) {
            LogicalTypeRoot root = column < 2 ? LogicalTypeRoot.VARCHAR : root(rules.get(column - 2));
            fits &= types.get(column).getLogicalType().getTypeRoot() == root;
        }
        for (RecordCheck.Rule rule : rules) {
            expected.append(", <").append(rule.field).append("> ").append(root(rule) == LogicalTypeRoot.VARCHAR
                    ? "STRING" : root(rule).toString());
        }
        if (!fits) {
            throw new ValidationException(String.format("format %s: the columns %s do not fit the rules; expected %s",
                    IDENTIFIER, names, expected));
        }
    }

    private static LogicalTypeRoot root(RecordCheck.Rule rule) {
        switch (rule.kind) {
            case NUMBER:
            case DOUBLE: return LogicalTypeRoot.DOUBLE;
            case COUNT: return LogicalTypeRoot.BIGINT;
            default: return LogicalTypeRoot.VARCHAR;
        }
    }

    /** The runtime half: one verdict per Kafka value, one row per verdict (a bad value is never dropped). */
    static final class Decoder implements DeserializationSchema<RowData> {
        private static final long serialVersionUID = 1L;
        private final String rules;
        private final int maxChars;
        private final TypeInformation<RowData> producedType;
        private transient RecordCheck check;

        Decoder(String rules, int maxChars, TypeInformation<RowData> producedType) {
            this.rules = rules;
            this.maxChars = maxChars;
            this.producedType = producedType;
        }

        @Override
        public void open(InitializationContext context) {
            check = RecordCheck.of(rules, maxChars);
        }

        @Override
        public RowData deserialize(byte[] message) {
            if (check == null) {
                check = RecordCheck.of(rules, maxChars);
            }
            RecordCheck.Verdict verdict = check.check(message);
            GenericRowData row = new GenericRowData(verdict.values.length + 2);
            row.setField(0, StringData.fromString(verdict.text));
            row.setField(1, StringData.fromString(verdict.reason));
            for (int index = 0; index < verdict.values.length; index++) {
                Object value = verdict.values[index];
                row.setField(index + 2, value instanceof String ? StringData.fromString((String) value) : value);
            }
            return row;
        }

        @Override
        public boolean isEndOfStream(RowData row) {
            return false;
        }

        @Override
        public TypeInformation<RowData> getProducedType() {
            return producedType;
        }
    }
}
