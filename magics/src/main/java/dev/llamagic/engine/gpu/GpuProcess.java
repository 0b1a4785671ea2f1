package dev.llamagic.engine.gpu;

/**
 * A process holding GPU memory, as {@code nvidia-smi --query-compute-apps=pid,process_name,used_memory} reports it.
 *
 * @param usedMiB null when the driver does not report it (e.g. {@code [N/A]} under some virtualised GPUs)
 */
public record GpuProcess(long pid, String processName, Long usedMiB) {}
