// The Postgres JDBC driver (what Metabase, DBeaver and many BI tools load) against a running
// `segql serve`: every DatabaseMetaData call BI tools make while browsing a database, and a
// prepared statement. Run as a single-file program (Java 11+):
//
//     java -cp /usr/share/java/postgresql.jar JdbcMetadata.java HOST PORT USER PASSWORD [CALL...]
//
// Runs the named calls (all of them, and a prepared statement over segql's `rfm`, when none is
// named; `preparedStatement` names that one), prints one line per call (the
// result's row count and columns as label:type) and exits 1 at the first call that fails.
// The tests run it against segql and against PostgreSQL and compare the lines.
import java.sql.*;
import java.util.*;

public class JdbcMetadata {
    interface Call { ResultSet run(DatabaseMetaData meta) throws SQLException; }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://" + args[0] + ":" + args[1] + "/datafusion?sslmode=disable";
        try (Connection conn = DriverManager.getConnection(url, args[2], args[3])) {
            DatabaseMetaData meta = conn.getMetaData();
            Map<String, Call> calls = new LinkedHashMap<>();
            calls.put("getCatalogs", m -> m.getCatalogs());
            calls.put("getSchemas", m -> m.getSchemas());
            calls.put("getTableTypes", m -> m.getTableTypes());
            calls.put("getTables", m -> m.getTables(null, "public", "%", null));
            calls.put("getColumns", m -> m.getColumns(null, "public", "sales", "%"));
            calls.put("getPrimaryKeys", m -> m.getPrimaryKeys(null, "public", "sales"));
            calls.put("getIndexInfo", m -> m.getIndexInfo(null, "public", "sales", false, true));
            calls.put("getImportedKeys", m -> m.getImportedKeys(null, "public", "sales"));
            calls.put("getExportedKeys", m -> m.getExportedKeys(null, "public", "sales"));
            calls.put("getTypeInfo", m -> m.getTypeInfo());
            calls.put("getFunctions", m -> m.getFunctions(null, "public", "%"));
            calls.put("getProcedures", m -> m.getProcedures(null, null, "%"));
            calls.put("getTablePrivileges", m -> m.getTablePrivileges(null, "public", "sales"));
            List<String> wanted = Arrays.asList(args).subList(4, args.length);
            for (Map.Entry<String, Call> call : calls.entrySet()) {
                if (!wanted.isEmpty() && !wanted.contains(call.getKey())) {
                    continue;
                }
                try (ResultSet rs = call.getValue().run(meta)) {
                    ResultSetMetaData columns = rs.getMetaData();
                    List<String> names = new ArrayList<>();
                    for (int i = 1; i <= columns.getColumnCount(); i++) {
                        names.add(columns.getColumnLabel(i) + ":" + columns.getColumnTypeName(i));
                    }
                    int rows = 0;
                    List<String> first = new ArrayList<>();
                    while (rs.next()) {
                        if (call.getKey().equals("getFunctions") || call.getKey().equals("getProcedures")) {
                            first.add(rs.getString(3));
                        }
                        rows++;
                    }
                    System.out.println(call.getKey() + " rows=" + rows + " columns=" + names
                        + (first.isEmpty() ? "" : " names=" + String.join(",", first)));
                } catch (SQLException e) {
                    System.out.println(call.getKey() + " FAILED " + e.getMessage().split("\n")[0]);
                    System.exit(1);
                }
            }
            if (!wanted.isEmpty() && !wanted.contains("preparedStatement")) {
                return;
            }
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT count(*) FROM rfm(sales) WHERE frequency >= ?")) {
                ps.setLong(1, 2);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.println("prepared statement count=" + rs.getLong(1));
                }
            }
        }
    }
}
