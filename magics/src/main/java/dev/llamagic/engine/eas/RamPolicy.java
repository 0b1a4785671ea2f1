package dev.llamagic.engine.eas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The RAM actions each EAS operation needs ({@code eas:<Operation>}), and a policy document granting them. */
public final class RamPolicy {
    private RamPolicy() {}

    /** Deploying: create it, then follow it. */
    public static final List<String> DEPLOY = List.of("eas:CreateService", "eas:DescribeService");
    /** Everything the EAS commands call. */
    public static final List<String> ALL = List.of("eas:CreateService", "eas:DescribeService", "eas:ListServices",
            "eas:UpdateService", "eas:CreateServiceAutoScaler", "eas:UpdateServiceAutoScaler", "eas:DescribeServiceLog",
            "eas:StartService", "eas:StopService", "eas:DeleteService");

    /** {@code {"Version":"1","Statement":[{"Effect":"Allow","Action":[...],"Resource":"*"}]}}, indented. */
    public static String document(List<String> actions) {
        Map<String, Object> statement = new LinkedHashMap<>();
        statement.put("Effect", "Allow");
        statement.put("Action", actions);
        statement.put("Resource", "*");
        Map<String, Object> policy = new LinkedHashMap<>();
        policy.put("Version", "1");
        policy.put("Statement", List.of(statement));
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(policy);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
