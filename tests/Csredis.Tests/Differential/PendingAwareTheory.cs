// A Theory whose rows (script names) listed in Scripts/PENDING are reported as skipped with the
// PENDING reason when pending scripts are being skipped (see ScriptCatalog.SkipPending). xunit 2 has
// no per-row skip at run time, so the decision is made at discovery, where rows become test cases.
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Csredis.Tests.Differential;

[XunitTestCaseDiscoverer("Csredis.Tests.Differential.PendingAwareTheoryDiscoverer", "Csredis.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class PendingAwareTheoryAttribute : TheoryAttribute;

public sealed class PendingAwareTheoryDiscoverer(IMessageSink diagnosticMessageSink) : TheoryDiscoverer(diagnosticMessageSink)
{
    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(
        ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo theoryAttribute, object[] dataRow)
    {
        if (dataRow is [string script] && ScriptCatalog.SkipPending() && ScriptCatalog.Pending().TryGetValue(script, out var reason))
            return CreateTestCasesForSkippedDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow, "PENDING: " + reason);
        return base.CreateTestCasesForDataRow(discoveryOptions, testMethod, theoryAttribute, dataRow);
    }
}
