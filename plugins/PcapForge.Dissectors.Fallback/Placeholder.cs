namespace PcapForge.Dissectors.Fallback;
