global using SelfSup.Engine;
global using SelfSup.Engine.Backbones;
global using SelfSup.Engine.Nn;
global using SelfSup.Engine.Optim;
