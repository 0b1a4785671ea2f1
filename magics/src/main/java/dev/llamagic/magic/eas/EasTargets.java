package dev.llamagic.magic.eas;

import dev.llamagic.core.Context;
import dev.llamagic.core.UserError;
import dev.llamagic.engine.aliyun.AliyunCredentials;
import dev.llamagic.engine.eas.EasAccess;
import dev.llamagic.engine.eas.EasClient;
import dev.llamagic.engine.eas.EasSettings;

/** What {@code --eas NAME} of the chat and bench magics means: the service's endpoint and token, from the EAS API. */
public final class EasTargets {
    private EasTargets() {}

    /**
     * The endpoint and token of service {@code name} in the region of the environment ($REGION); one line when it
     * is not there (with the nearest name), has no endpoint, or the API refuses. The token is never printed.
     */
    public static EasAccess access(Context ctx, String name) {
        EasClient eas;
        try {
            eas = EasClient.connect(ctx, EasSettings.fromEnv(ctx.env()));
        } catch (AliyunCredentials.NoCredentials e) {
            for (String place : e.tried()) ctx.notebook().print("  looked in " + place);
            throw e;
        }
        EasAccess access = EasCommand.known(eas, name, () -> eas.access(name));
        if (access.authorization() == null) {
            throw new UserError("service " + name + " has no token in its description; EAS gives every service one");
        }
        return access;
    }
}
