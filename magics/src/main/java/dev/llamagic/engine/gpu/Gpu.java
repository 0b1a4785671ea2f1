package dev.llamagic.engine.gpu;

/**
 * One GPU as {@code nvidia-smi --query-gpu=index,name,memory.used,memory.total,utilization.gpu,temperature.gpu,power.draw}
 * reports it. A figure the driver does not report ({@code [N/A]}, {@code [Not Supported]}, ...) is null.
 *
 * @param memoryUsedMiB  MiB (nvidia-smi's {@code nounits} memory unit)
 * @param utilization    percent of time a kernel ran during the driver's last sample period
 * @param temperature    degrees Celsius
 * @param powerWatts     watts
 */
public record Gpu(int index, String name, Long memoryUsedMiB, Long memoryTotalMiB, Integer utilization,
                  Integer temperature, Double powerWatts) {}
