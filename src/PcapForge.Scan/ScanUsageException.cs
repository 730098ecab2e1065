namespace PcapForge.Scan;

/// <summary>
/// A scan request that cannot be carried out as given: a bad port list, a target that must not be scanned (broadcast,
/// multicast), too many addresses. The message is one line for the user, printed without a stack trace.
/// </summary>
public sealed class ScanUsageException(string message) : Exception(message);
