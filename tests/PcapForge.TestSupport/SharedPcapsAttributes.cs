using Xunit;

namespace PcapForge.TestSupport;

/// <summary>A fact over ../shared/pcaps: skipped, with <see cref="TestData.SharedMissing"/> as the reason, when the folder is absent.</summary>
public sealed class SharedPcapsFactAttribute : FactAttribute
{
    public SharedPcapsFactAttribute()
    {
        if (TestData.SharedPcaps is null)
            Skip = TestData.SharedMissing;
    }
}

/// <summary>A theory over ../shared/pcaps: skipped, with <see cref="TestData.SharedMissing"/> as the reason, when the folder is absent.</summary>
public sealed class SharedPcapsTheoryAttribute : TheoryAttribute
{
    public SharedPcapsTheoryAttribute()
    {
        if (TestData.SharedPcaps is null)
            Skip = TestData.SharedMissing;
    }
}
